// Type-checked under each moduleResolution (tsconfig.*.json), strict.
import { init, normalize, ready, sanitize, type SanitizeReport } from 'sse-sanitizer';
import * as stream from 'sse-sanitizer/stream';
import worker, { type WorkerEnv } from 'sse-sanitizer/worker';

export async function demo(bytes: Uint8Array): Promise<[SanitizeReport, number, string]> {
  await init();
  await ready;
  const { report } = sanitize(bytes);
  const env: WorkerEnv = { UPSTREAM_URL: 'http://127.0.0.1:4000' };
  const res: Response = await worker.fetch(new Request('http://127.0.0.1/v1/messages'), env);
  const parser: stream.SseParser = new stream.SseParser();
  const { changes } = normalize({ messages: [] });
  return [report, parser.feed(bytes).length + changes.length, res.statusText];
}
