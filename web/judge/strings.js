// Registers the judge panel's own strings (the marking sheets) before any of its modules
// asks for one: judge.js imports this module first. Kept out of the shared strings so that
// the phone page stays light.
import { extend } from '/assets/shared/i18n.js';
import vi from './strings.vi.js';
import en from './strings.en.js';

extend('vi', vi);
extend('en', en);
