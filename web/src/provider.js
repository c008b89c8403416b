// SPDX-License-Identifier: Apache-2.0
// quire portal: the provider's and the root provider's pages (web/src/provider/): the tree of
// organizations with licenses and support actions, usage, the customers' devices, the
// subscription status, and regions (root only: the API answers 403 to anyone else).
import { pages as orgs } from './provider/orgs.js';
import { pages as regions } from './provider/regions.js';
import { pages as usage } from './provider/usage.js';

export const pages = [...orgs, ...usage, ...regions];
