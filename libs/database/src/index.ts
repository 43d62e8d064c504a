export * from './data-source-options';
export * from './migrations';
export * from './transaction';
export * from './verification-schedule';
export * from './select-columns';
export * from './compiled-read';
export * from './timestamptz';
export * from './laned-pool';
