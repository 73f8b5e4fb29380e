import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQS_DELAY } from '../infra/aws-facts.js';

export interface SentMessage {
  queueUrl: string;
  messageId: string;
  body: string;
  /** The message's own delay, when it has one. */
  delaySeconds?: number;
}

/**
 * Enough of SQS's JSON protocol for `SendMessageBatch`, so the SQS adapter
 * runs through the real AWS SDK (its serializer and its MD5 check of what
 * SQS reports back). Entries whose body contains `refuse-me` are failed,
 * as SQS fails entries it will not take, and so are delays outside what
 * SQS documents (`SQS_DELAY` in `test/infra/aws-facts.ts`).
 */
export async function startSqsEmulator(): Promise<{
  endpoint: string;
  sent: SentMessage[];
  close(): Promise<void>;
}> {
  const sent: SentMessage[] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      if (target !== 'AmazonSQS.SendMessageBatch') {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(
          JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidAction', message: String(target) }),
        );
        return;
      }
      const input = JSON.parse(raw) as {
        QueueUrl: string;
        Entries: { Id: string; MessageBody: string; DelaySeconds?: number }[];
      };
      const Successful = [];
      const Failed = [];
      for (const entry of input.Entries) {
        if (entry.MessageBody.includes('refuse-me')) {
          Failed.push({
            Id: entry.Id,
            Code: 'InvalidMessageContents',
            SenderFault: true,
            Message: 'refused',
          });
          continue;
        }
        const delay = entry.DelaySeconds;
        if (
          delay !== undefined &&
          (!Number.isInteger(delay) ||
            delay < SQS_DELAY.delaySeconds.min ||
            delay > SQS_DELAY.delaySeconds.max)
        ) {
          Failed.push({
            Id: entry.Id,
            Code: 'InvalidParameterValue',
            SenderFault: true,
            Message: `DelaySeconds ${delay} is not in 0..900`,
          });
          continue;
        }
        const messageId = randomUUID();
        sent.push({
          queueUrl: input.QueueUrl,
          messageId,
          body: entry.MessageBody,
          ...(delay !== undefined ? { delaySeconds: delay } : {}),
        });
        Successful.push({
          Id: entry.Id,
          MessageId: messageId,
          MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex'),
        });
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ Successful, Failed }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    sent,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
