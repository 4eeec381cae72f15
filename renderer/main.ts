// Entry of the renderer: mounts the console, or a full-page explanation when no Custos bridge is present.
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { bridge } from './api';
import { levelNaiveHeadings } from './heading-levels';
import MissingBridge from './components/MissingBridge.vue';
import { router } from './router';
import { useAlertsStore } from './stores/alerts';
import './styles.css';

if (!bridge()) {
  createApp(MissingBridge).mount('#app');
} else {
  const pinia = createPinia();
  const app = createApp(App).use(pinia).use(router);
  const alerts = useAlertsStore(pinia);
  // A fault in the console's own code is reported in plain words; the details stay in the developer tools.
  app.config.errorHandler = (err) => {
    alerts.report('The console', err);
  };
  window.addEventListener('unhandledrejection', (event) => {
    event.preventDefault();
    alerts.report('The console', event.reason);
  });
  app.mount('#app');
  // Dialogs are rendered into the body, outside #app.
  levelNaiveHeadings(document.body);
}
