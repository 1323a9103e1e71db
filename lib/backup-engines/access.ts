import type { WriterAccess } from '../domain/policy';
import type { BackupEngineName } from '../ports/backup-engine';
import { EXPORT_S3_ACCESS } from './datapipeline/s3-access';
import { NATIVE_EXPORT_S3_ACCESS } from './native/s3-access';

/**
 * What each engine's writers do in their account's prefix of the backup bucket: the bucket
 * policy grants an account exactly its engines' entries (an account that uses both holds both).
 */
export const ENGINE_WRITER_ACCESS: Readonly<Record<BackupEngineName, WriterAccess>> = {
  datapipeline: EXPORT_S3_ACCESS,
  native: NATIVE_EXPORT_S3_ACCESS,
};
