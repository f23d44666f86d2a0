import { UNREACHABLE, describeApiError } from './error-words.js';

/** A failed API request, with what to tell the user. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly words: string,
  ) {
    super(words);
  }
}

/** Upload progress: bytes sent so far of the file's size. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/**
 * The dashboard's one client of the /v1 API (same origin as the page). Every failure becomes an
 * ApiProblem in words; a 401 also tells the page the token no longer works.
 */
export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  /** GET that answers null for 404 (a resource that may not exist yet, such as the fallback video). */
  async getOptional<T>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (error) {
      if (error instanceof ApiProblem && error.status === 404) return null;
      throw error;
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiProblem(0, UNREACHABLE);
    }
    if (response.status === 204) return undefined as T;
    const parsed: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw this.problem(response.status, parsed);
    return parsed as T;
  }

  /**
   * A file as the raw request body, with upload progress (fetch reports none, XMLHttpRequest
   * does). Resolves with the answer once the server has processed the file.
   */
  upload<T>(path: string, file: File, onProgress: UploadProgress): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('PUT', `/v1${path}`);
      request.setRequestHeader('authorization', `Bearer ${this.token}`);
      request.setRequestHeader('content-type', file.type.startsWith('video/') ? file.type : 'application/octet-stream');
      request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
      request.upload.onload = () => onProgress(file.size, file.size);
      request.onerror = () => reject(new ApiProblem(0, UNREACHABLE));
      request.onload = () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(request.responseText);
        } catch {
          parsed = undefined;
        }
        if (request.status >= 200 && request.status < 300) resolve(parsed as T);
        else reject(this.problem(request.status, parsed));
      };
      request.send(file);
    });
  }

  private problem(status: number, body: unknown): ApiProblem {
    if (status === 401) this.onUnauthorized();
    return new ApiProblem(status, describeApiError(status, body));
  }
}
