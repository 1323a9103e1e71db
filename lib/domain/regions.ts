/** Shape of an AWS region name: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-7. */
const REGION =
  /^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?)-(?:central|north|south|east|west|northeast|northwest|southeast|southwest)-\d{1,2}$/;

export function isRegion(value: string): boolean {
  return REGION.test(value);
}
