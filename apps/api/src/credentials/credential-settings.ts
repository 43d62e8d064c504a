export interface CredentialSettings {
  jobsEnabled: boolean;
  verifyIntervalMinutes: number;
  pollSeconds: number;
}
export const CREDENTIAL_SETTINGS = Symbol('CREDENTIAL_SETTINGS');
