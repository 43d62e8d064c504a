export * from './auth-options';
export * from './auth.module';
export * from './guards/access-token.guard';
export * from './guards/roles.guard';
export * from './tokens/token.service';
export * from './slug';
