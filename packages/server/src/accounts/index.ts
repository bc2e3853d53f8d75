/**
 * Accounts: registration with e-mail verification, password reset, the mail outbox. See the Accounts section of the
 * server's README.md.
 */
export { normalizeEmail } from './email.js';
export { emitAccountEvent, type AccountEventType } from './events.js';
export { fileMailSender, logMailSender, MailOutbox, type DeliveryReport, type LogMailSenderOptions, type MailKind, type MailSender, type OutgoingMail, type QueuedMail } from './mail.js';
export { registerAccountRoutes, type AccountDeps, type AccountsModule } from './routes.js';
export { issueToken, TOKEN_PATTERN, tokenHash, type IssuedToken, type TokenPurpose } from './tokens.js';
export { accountLimiter, type AccountLimits, type LimitCheck } from './limits.js';
