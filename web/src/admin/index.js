// SPDX-License-Identifier: Apache-2.0
// quire portal: the customer admin's pages (issue 14), in the order of the navigation. What a
// role sees here only chooses the navigation; the API decides what it may do (TEN-3).
import { pages as users } from './users.js';
import { pages as groups } from './groups.js';
import { pages as devices } from './devices.js';
import { pages as settings } from './settings.js';
import { pages as capture } from './capture.js';
import { pages as apikeys } from './apikeys.js';
import { pages as audit } from './audit.js';

export const pages = [...users, ...groups, ...devices, ...settings, ...capture, ...apikeys, ...audit];
