import { Type } from '@fastify/type-provider-typebox';
import { MAX_QUOTA_BYTES } from '../../settings.js';

const QuotaBytes = Type.Union([Type.Integer({ minimum: 0, maximum: MAX_QUOTA_BYTES }), Type.Null()]);

/** A user's recordings against their quota, as /v1/me and the admin's user view show it. */
export const StorageBody = Type.Object(
  {
    usedBytes: Type.Integer({ description: "Bytes of the user's videos (recording and ready), as their origins last reported them" }),
    quotaBytes: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Recording quota: at or over it, new sessions are not recorded (they still go live) and a recording in progress is closed ' +
        "as a ready video at its origin's next report; nothing recorded is deleted. null: not limited (the built-in admin)",
    }),
  },
  { description: "The user's recordings against their quota" },
);

/** What an admin may change of a user's storage. */
export const StorageChanges = Type.Object(
  {
    quotaBytes: { ...QuotaBytes, description: `The user's recording quota, 0-${MAX_QUOTA_BYTES} bytes; null: back to RECORDING_QUOTA_BYTES` },
  },
  { additionalProperties: false },
);
