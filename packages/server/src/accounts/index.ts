/**
 * Accounts: registration with e-mail verification, password reset, the mail outbox. See the Accounts section of the
 * server's README.md.
 */
export { normalizeEmail } from './email.js';
export { emitAccountEvent, type AccountEventType } from './events.js';
export { fileMailSender, logMailSender, MailOutbox, type DeliveryReport, type LogMailSenderOptions, type MailKind, type MailSender, type OutgoingMail, type QueuedMail } from './mail.js';
export { accountsModuleOf, registerAccountRoutes, type AccountDeps, type AccountsModule } from './routes.js';
export { createAccountService, type AccountService, type AccountServiceDeps, type RateLimited, type RegistrationOutcome, type ResetOutcome, type ResetRequestOutcome, type TokenInvalid, type VerificationOutcome, type WeakPassword } from './service.js';
export { issueToken, TOKEN_PATTERN, tokenHash, type IssuedToken, type TokenPurpose } from './tokens.js';
export { accountLimitCounter, accountLimiter, accountRateLimited, fromCounter, type AccountLimitCounter, type AccountLimits, type LimitCheck, type LimitDecision } from './limits.js';
