import * as api from 'sse-sanitizer';
import { check } from './check.js';

check(api, { full: true });
