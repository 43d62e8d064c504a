export * from './data-source-options';
export * from './sql';
export * from './migrations';
export * from './transaction';
export * from './verification-schedule';
