export { cefFormatter, escapeCefHeader, escapeCefValue, type CefFormatter, type CefOptions } from './cef.js';
export { SinkError, type SinkErrorCode } from './errors.js';
export { jetStreamSink, type JetStreamSinkOptions } from './jetstream.js';
export { escapeParamValue, octetCountingFrame, rfc5424Formatter, SD_ID, type Rfc5424Formatter, type Rfc5424Options } from './rfc5424.js';
export { defaultSeverity, type SyslogSeverity } from './severity.js';
export { DEFAULT_BUFFER_SIZE, type AuditSink, type SinkOptions, type SinkReport, type SinkReportListener, type SinkStats } from './sink.js';
export { streamSink, type StreamSinkOptions } from './stream.js';
export { syslogSink, type SyslogSinkOptions, type SyslogTlsOptions } from './syslog.js';
export { eventJson, webhookSink, type WebhookSinkOptions } from './webhook.js';
