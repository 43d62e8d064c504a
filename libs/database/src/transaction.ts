import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';

/**
 * The request-scoped transaction, and the one idiom for it: `txHost.withTransaction(work)`.
 * `tx` is the current transaction's EntityManager inside it, and the plain pool-backed manager
 * outside one. (Not the @Transactional() decorator: it finds its host through a process-wide
 * singleton, so with two apps in one process it used whichever registered last, even a closed one.)
 */
export type TxHost = TransactionHost<TransactionalAdapterTypeOrm>;
export const TxHost = TransactionHost;
