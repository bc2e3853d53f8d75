/**
 * The request shapes the shop accepts, compiled once (`@rampart/core/validate`). Every object is closed (unknown
 * properties such as `role` or `__proto__` are refused: mass assignment, pollution), every string and number bounded,
 * and every value typed (an object where a string belongs — `{"$ne": null}` — is refused).
 */
import { Type, compile } from '@rampart/core/validate';

const Username = Type.String({ pattern: '^[a-z0-9_.-]{1,32}$' });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Email = Type.String({ format: 'email', maxLength: 254 });
const Id = Type.Integer({ minimum: 1, maximum: 1_000_000_000 });

export const Login = compile(Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Password }));
export const DeviceLogin = compile(Type.Object({ username: Username, pin: Type.String({ pattern: '^[0-9]{4,8}$' }) }));
export const ResetRequest = compile(Type.Object({ username: Username }));
export const ResetConfirm = compile(Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }), password: Password }));
export const SignUp = compile(Type.Object({ username: Username, email: Email, password: Password }));
export const UserSearch = compile(Type.Object({ name: Username }));
export const ProfileUpdate = compile(
  Type.Object({ email: Type.Optional(Email), display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }),
);
export const PreferencesUpdate = compile(
  Type.Object({
    theme: Type.Optional(Type.Union([Type.Literal('light'), Type.Literal('dark')])),
    language: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[A-Z]{2})?$' })),
    notifications: Type.Optional(Type.Object({ email: Type.Optional(Type.Boolean()), sms: Type.Optional(Type.Boolean()) })),
  }),
);
export const DirectorySearch = compile(Type.Object({ uid: Username }));
export const ProductSearch = compile(Type.Object({ q: Type.String({ maxLength: 100 }) }));
export const Review = compile(Type.Object({ author: Type.String({ minLength: 1, maxLength: 64 }), text: Type.String({ minLength: 1, maxLength: 2000 }) }));
export const ImportedProduct = compile(
  Type.Object({ product: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), price: Type.String({ pattern: '^[0-9]{1,6}(\\.[0-9]{1,2})?$' }) }) }),
);
/** A quote names one of the shop's own discount rules; formulas are never taken from clients. */
export const Quote = compile(
  Type.Object({
    productId: Id,
    quantity: Type.Integer({ minimum: 1, maximum: 1000 }),
    discount: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('member'), Type.Literal('bulk')])),
  }),
);
export const CartRestore = compile(Type.Object({ cart: Type.String({ maxLength: 8192, pattern: '^[A-Za-z0-9+/=_-]{0,8192}$' }) }));
export const Cart = compile(
  Type.Object({
    items: Type.Array(Type.Object({ productId: Id, quantity: Type.Integer({ minimum: 1, maximum: 1000 }) }), { maxItems: 100 }),
  }),
);
export const GiftMessage = compile(Type.Object({ message: Type.String({ minLength: 1, maxLength: 500 }) }));
export const FileName = compile(Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }) }));
export const WebhookTest = compile(Type.Object({ url: Type.String({ format: 'uri', maxLength: 2048 }) }));
export const RedirectQuery = compile(Type.Object({ next: Type.Optional(Type.String({ maxLength: 2048 })) }));
export const ApiTokenRequest = Login;
