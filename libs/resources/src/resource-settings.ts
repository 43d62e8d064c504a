export interface ResourceSettings {
  jobsEnabled: boolean;
  verifyIntervalMinutes: number;
  pollSeconds: number;
}
export const RESOURCE_SETTINGS = Symbol('RESOURCE_SETTINGS');
