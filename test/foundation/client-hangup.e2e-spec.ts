import { connect } from 'node:net';
import { startTestApp, TestApp } from '../harness/test-app';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Review finding 13: anyone could write error lines into our logs by hanging up mid-body. */
describe('a client that hangs up mid-body', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => t.close());

  it('is logged at debug level, never as an error or a database outage', async () => {
    const { port } = new URL(t.baseUrl);
    const before = t.logs.length;
    for (let i = 0; i < 5; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"organizationSlug":"ac',
      );
      await sleep(50);
      socket.destroy();
    }
    await sleep(300);
    const lines = t.logs.slice(before).map((line) => JSON.parse(line) as { level: number; msg: string; errorCode?: string });
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    expect(lines.some((line) => line.errorCode === 'SERVICE_UNAVAILABLE')).toBe(false);
    expect(lines.filter((line) => line.msg === 'client closed the connection before the request was read')).toHaveLength(5);
  });
});
