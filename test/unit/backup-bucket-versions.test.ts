import { GetObjectCommand, type GetObjectCommandOutput, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { S3BucketPolicyStore } from '../../lib/adapters/bucket-policy';

const s3 = mockClient(S3Client);
/** A GetObject body: the adapter reads it whole (transformToByteArray). */
const body = (text: string) =>
  ({
    transformToByteArray: async () => new Uint8Array(Buffer.from(text)),
  }) as unknown as GetObjectCommandOutput['Body'];
const store = () =>
  new S3BucketPolicyStore(
    { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
    'corp-ddb-backups',
  );

describe('The backup bucket read through the snapshot-reader role', () => {
  beforeEach(() => s3.reset());

  it('lists every version and delete marker under a prefix, page after page by its key and version markers', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'p/a',
        NextVersionIdMarker: 'v2',
        Versions: [
          { Key: 'p/a', VersionId: 'v1' },
          { Key: 'p/a', VersionId: 'v2' },
        ],
      })
      .resolvesOnce({ IsTruncated: false, DeleteMarkers: [{ Key: 'p/b', VersionId: 'v3' }] });
    await expect(store().listVersions('p/')).resolves.toEqual([
      { key: 'p/a', versionId: 'v1', deleteMarker: false },
      { key: 'p/a', versionId: 'v2', deleteMarker: false },
      { key: 'p/b', versionId: 'v3', deleteMarker: true },
    ]);
    expect(s3).toHaveReceivedNthCommandWith(1, ListObjectVersionsCommand, { Bucket: 'corp-ddb-backups', Prefix: 'p/' });
    expect(s3).toHaveReceivedNthCommandWith(2, ListObjectVersionsCommand, {
      Bucket: 'corp-ddb-backups',
      Prefix: 'p/',
      KeyMarker: 'p/a',
      VersionIdMarker: 'v2',
    });
  });

  it('reads an object’s bytes, and answers undefined for a key that is not there', async () => {
    s3.on(GetObjectCommand, { Key: 'p/manifest-files.json' })
      .resolves({ Body: body('{"dataFileS3Key":"k"}') })
      .on(GetObjectCommand, { Key: 'p/none' })
      .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    const read = await store().read('p/manifest-files.json');
    expect(Buffer.from(read ?? []).toString()).toBe('{"dataFileS3Key":"k"}');
    await expect(store().read('p/none')).resolves.toBeUndefined();
  });
});
