/**
 * What holds a resource's firewall rules (the engine owns the answer): live sessions, static IP
 * rules, and rules still being removed. A resource with any of them cannot be deleted or pointed
 * elsewhere, or its rules would be stranded on a firewall nobody manages (§13, §16).
 */
export interface ResourceUsage {
  usage(resourceId: string): Promise<{ sessions: number; staticRules: number; removing: number }>;
}

export const RESOURCE_USAGE = Symbol('RESOURCE_USAGE');
