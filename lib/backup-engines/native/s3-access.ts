import type { WriterAccess } from '../../domain/policy';

/**
 * Stand-in until native-policy's branch is merged (that branch owns this file and its version wins):
 * the three actions AWS documents for an export's destination — no read, list or delete.
 */
export const NATIVE_EXPORT_S3_ACCESS = {
  objects: { actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'], key: '*' },
} as const satisfies WriterAccess;
