// Routes of the console. Hash history: Electron loads the app from file://, where path URLs can't be served.
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';
import DevicesView from './views/DevicesView.vue';

declare module 'vue-router' {
  interface RouteMeta {
    /** The name in the left navigation; routes without it are not listed there. */
    nav?: string;
    /** The window title's first part. */
    title?: string;
  }
}

// The navigation lists these routes in this order. Dashboard, Users, Groups, Proposals, Wallets, Requests and
// Audit join here (each with meta.nav) as their views are built; nothing is listed before it works.
export const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/devices' },
  { path: '/devices', name: 'devices', component: DevicesView, meta: { nav: 'Devices', title: 'Devices' } },
  { path: '/:pathMatch(.*)*', redirect: '/devices' },
];

export const router = createRouter({ history: createWebHashHistory(), routes });

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Custos` : 'Custos';
});
