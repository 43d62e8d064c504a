import { InitialSchema1764130000000 } from './1764130000000-initial-schema';

/** Listed by class, not by glob, so the app, the CLI and tests load the same set from src or dist. */
export const MIGRATIONS = [InitialSchema1764130000000];
