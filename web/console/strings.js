// Registers the console's strings before any console module asks for one: console.js
// imports this module first.
import { extend } from '/assets/shared/i18n.js';
import vi from './strings.vi.js';
import en from './strings.en.js';

extend('vi', vi);
extend('en', en);
