/** Why a user lost access: deleted (the row goes), or deactivated (`isActive: false`, the row stays). */
export type UserRemovalReason = 'DELETED' | 'DEACTIVATED';

/**
 * A seam for what other modules must undo when a user loses access, such as ending the user's live
 * sessions (§9: `endedReason: "USER_REMOVED"`). Every hook runs inside the transaction of the
 * deletion or deactivation, before the user row is deleted, so it commits or rolls back with it;
 * a hook that throws refuses the whole change. Refresh and one-time tokens are revoked by the users
 * module itself.
 *
 * Bind one with `UsersModule.forRoot({ imports: [SessionsModule], removalHooks: [SessionsRemovalHook] })`:
 * each class must be a provider its module exports.
 */
export interface UserRemovalHook {
  onUserRemoved(organizationId: string, userId: string, reason: UserRemovalReason): Promise<void>;
}

/** Injection token of the list of hooks (empty when none are bound). */
export const USER_REMOVAL_HOOKS = Symbol('USER_REMOVAL_HOOKS');
