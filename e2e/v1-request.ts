/** One request to the API's /v1 routes with a bearer token, as a user's script would make it. */
export interface V1Answer {
  status: number;
  /** The body parsed as JSON (whatever the route answers); undefined when empty. */
  json: any;
  text: string;
}

export async function v1Request(apiUrl: string, token: string, method: string, path: string, body?: object): Promise<V1Answer> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, text };
}
