import type { SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda's event source mapping delivers it, from `queueArn`. */
export const sqsRecord = (messageId: string, body: string, queueArn: string): SQSRecord => ({
  messageId,
  receiptHandle: `handle-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1764028800000',
    SenderId: 'AROAEXAMPLE',
    ApproximateFirstReceiveTimestamp: '1764028800001',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: queueArn.split(':')[3]!,
});
