// Routes of the console. Hash history: Electron loads the app from file://, where path URLs can't be served.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import { useVaultStore } from './stores/vault';
import AuditView from './views/AuditView.vue';
import DashboardView from './views/DashboardView.vue';
import DevicesView from './views/DevicesView.vue';
import GroupsView from './views/GroupsView.vue';
import OnboardingView from './views/OnboardingView.vue';
import ProposalsView from './views/ProposalsView.vue';
import TeamView from './views/TeamView.vue';
import TransferDetailView from './views/TransferDetailView.vue';
import TransfersView from './views/TransfersView.vue';
import UsersView from './views/UsersView.vue';
import WalletDetailView from './views/WalletDetailView.vue';
import WalletPolicyView from './views/WalletPolicyView.vue';
import WalletsView from './views/WalletsView.vue';
import WhitelistsView from './views/WhitelistsView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** The name in the left navigation; routes without it are not listed there. */
    nav?: string;
    /** The window title's first part. */
    title?: string;
    /** 'vault': needs a vault (listed once one exists); 'onboarding': only until one exists; absent: always. */
    when?: 'vault' | 'onboarding';
    /** For a screen under a listed one (a wallet under Wallets): the route whose navigation entry stays highlighted. */
    navParent?: string;
  }
}

// The navigation lists these routes in this order.
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/dashboard' },
  { path: '/onboarding', name: 'onboarding', component: OnboardingView, meta: { nav: 'Create vault', title: 'Create vault', when: 'onboarding' } },
  { path: '/dashboard', name: 'dashboard', component: DashboardView, meta: { nav: 'Dashboard', title: 'Dashboard', when: 'vault' } },
  { path: '/wallets', name: 'wallets', component: WalletsView, meta: { nav: 'Wallets', title: 'Wallets', when: 'vault' } },
  { path: '/wallets/:id', name: 'wallet', component: WalletDetailView, props: true, meta: { title: 'Wallet', when: 'vault', navParent: 'wallets' } },
  { path: '/wallets/:id/policy', name: 'wallet-policy', component: WalletPolicyView, props: true, meta: { title: 'Policy', when: 'vault', navParent: 'wallets' } },
  { path: '/transfers', name: 'transfers', component: TransfersView, meta: { nav: 'Transfers', title: 'Transfers', when: 'vault' } },
  { path: '/transfers/:id', name: 'transfer', component: TransferDetailView, props: true, meta: { title: 'Transfer', when: 'vault', navParent: 'transfers' } },
  { path: '/whitelists', name: 'whitelists', component: WhitelistsView, meta: { nav: 'Whitelists', title: 'Whitelists', when: 'vault' } },
  { path: '/users', name: 'users', component: UsersView, meta: { nav: 'Users', title: 'Users', when: 'vault' } },
  { path: '/groups', name: 'groups', component: GroupsView, meta: { nav: 'Groups', title: 'Groups', when: 'vault' } },
  { path: '/proposals', name: 'proposals', component: ProposalsView, meta: { nav: 'Proposals', title: 'Proposals', when: 'vault' } },
  { path: '/audit', name: 'audit', component: AuditView, meta: { nav: 'Audit log', title: 'Audit log', when: 'vault' } },
  // Not tied to a vault: an empty data folder joins a team's vault from here.
  { path: '/team', name: 'team', component: TeamView, meta: { nav: 'Team', title: 'Team' } },
  { path: '/devices', name: 'devices', component: DevicesView, meta: { nav: 'Devices', title: 'Devices' } },
  { path: '/:pathMatch(.*)*', redirect: '/dashboard' },
];

export const router = createRouter({ history: createWebHashHistory(), routes });

// Onboarding replaces the vault's screens until a vault exists, and is gone once it does.
router.beforeEach(async (to) => {
  const vault = useVaultStore();
  if (!vault.loaded) await vault.load();
  if (to.meta.when === 'vault' && !vault.exists) return { name: 'onboarding' };
  if (to.meta.when === 'onboarding' && vault.exists) return { name: 'dashboard' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Custos` : 'Custos';
});
