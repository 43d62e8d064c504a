// The access decorators come first: feature libraries (audit among them) decorate their
// controllers with them while this index may still be loading through auth -> audit -> auth.
export * from './access/access.decorators';
export * from './auth-options';
export * from './auth.module';
export * from './guards/authentication.guard';
export * from './guards/roles.guard';
export * from './tokens/token.service';
export * from './slug';
export * from './users/organization.entity';
export * from './users/user.entity';
export * from './tokens/refresh-token.entity';
export * from './settings/organization-settings.entity';
export * from './tokens/user-token.entity';
export * from './tokens/one-time-token.service';
export * from './settings/organization-settings.repository';
export * from './users/user.repository';
export * from './users/user-directory.repository';
export * from './auth.service';
export * from './dto/auth.dto';
export * from './password-hasher';
export * from './passwords/password-policy';
export * from './passwords/password.decorators';
export * from './tokens/refresh-token.repository';
