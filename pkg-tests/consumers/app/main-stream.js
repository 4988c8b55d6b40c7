import * as api from 'sse-sanitizer/stream';
import { check } from './check.js';

check(api, { full: false });
