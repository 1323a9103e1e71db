import { MOTO_INSTALL_HINT, motoAvailable } from '../../scripts/moto';

/**
 * The integration project's globalTeardown, which jest runs after its summary: when moto_server
 * is missing (and CI is not set, see describeWithMoto), the last lines a person sees say that the
 * suites needing it were skipped, and how to install it.
 */
export default function motoNotice(): void {
  if (motoAvailable() || process.env.CI === 'true') return;
  process.stderr.write(
    `\nINTEGRATION TESTS SKIPPED: every suite that needs moto_server was skipped, not run.\n${MOTO_INSTALL_HINT}, then run npm test again.\n`,
  );
}
