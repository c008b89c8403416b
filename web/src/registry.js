// SPDX-License-Identifier: Apache-2.0
// quire portal: every page of the application, in the order of the navigation. Each area's
// module exports its pages: {path, nav (message key), view, roles (omitted: everyone), when
// (optional: ({me, org}) => whether the navigation shows it)}. Roles and when only choose what
// the navigation shows; the API enforces TEN-3 whatever is shown.
import { pages as own } from './pages.js';
import { pages as admin } from './admin/index.js';
import { pages as provider } from './provider.js';
import { pages as reports } from './reports.js';
import { pages as guides } from './guides.js';

export const pages = [...own, ...reports, ...admin, ...provider, ...guides];
