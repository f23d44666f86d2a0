import t from 'tap';
import { layoutAvcc, parameterSetsToAnnexB, writeAnnexB } from '../../src/media/annex-b.js';
import { hex } from './fixtures/ts-reader.js';

const SPS = hex('67 64 00 1f ac');
const PPS = hex('68 eb e3');
const PARAMETER_SETS = parameterSetsToAnnexB([SPS], [PPS]);
const AUD = '00000001 09f0';

/** Converts like the segmenter: IDRs without their own SPS/PPS get the sequence header's. */
function convert(avcc: Uint8Array, nalLengthSize = 4): string {
  const layout = layoutAvcc(avcc, nalLengthSize);
  const insert = layout.hasIdr && !layout.hasParameterSets ? PARAMETER_SETS : undefined;
  const out = new Uint8Array(layout.size + (insert?.length ?? 0));
  const end = writeAnnexB(avcc, nalLengthSize, insert, out, 0);
  if (end !== out.length) throw new Error(`wrote ${end} bytes, layout said ${out.length}`);
  return Buffer.from(out).toString('hex');
}

const flat = (text: string): string => text.replace(/\s/g, '');

t.test('parameter sets in Annex B form', async (t) => {
  t.equal(Buffer.from(PARAMETER_SETS).toString('hex'), flat('00000001 676400 1fac 00000001 68ebe3'));
});

t.test('IDR gets AUD then SPS/PPS', async (t) => {
  // SEI (2 bytes) then IDR slice (3 bytes), 4-byte lengths
  const avcc = hex('00000002 0605 00000003 658880');
  t.equal(convert(avcc), flat(`${AUD} 00000001 6764001fac 00000001 68ebe3 00000001 0605 00000001 658880`));
});

t.test('non-IDR gets only the AUD', async (t) => {
  t.equal(convert(hex('00000003 419a02')), flat(`${AUD} 00000001 419a02`));
});

t.test('an IDR with its own SPS and PPS gets nothing inserted', async (t) => {
  const avcc = hex('00000002 6742 00000002 68ce 00000002 6588');
  const layout = layoutAvcc(avcc, 4);
  t.same(layout, { size: 6 + 3 * 6, hasIdr: true, hasParameterSets: true });
  t.equal(convert(avcc), flat(`${AUD} 00000001 6742 00000001 68ce 00000001 6588`));
});

t.test('delimiters already in the input are dropped', async (t) => {
  const avcc = hex('00000002 09f0 00000003 419a02');
  t.equal(convert(avcc), flat(`${AUD} 00000001 419a02`));
});

t.test('2-byte NAL lengths and empty NAL units', async (t) => {
  t.equal(convert(hex('0000 0002 419a'), 2), flat(`${AUD} 00000001 419a`));
});

t.test('lengths that overrun the frame are refused', async (t) => {
  // Annex B start code where a length belongs: reads as length 1, then 0x65.. as a huge length
  t.throws(() => layoutAvcc(hex('00000001 65 88800000 aabb'), 4), { message: /runs past the 11-byte frame/ });
  t.throws(() => layoutAvcc(hex('00000003 419a02 0000'), 4), { message: /ends inside a 4-byte NAL length/ });
});
