import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/**
 * The request-scoped transaction: `tx` is the current transaction's EntityManager inside
 * a @Transactional() method, and the plain pool-backed manager outside one.
 */
export type TxHost = TransactionHost<TransactionalAdapterTypeOrm>;
export const TxHost = TransactionHost;
export { Transactional } from '@nestjs-cls/transactional';
