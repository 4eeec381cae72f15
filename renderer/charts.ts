// Chart.js for the console: the few parts its charts use, registered once, and colours read from the console's colour
// variables (renderer/styles.css) so a chart follows dark mode as the rest of the page does.
import { BarElement, CategoryScale, Chart, Filler, LinearScale, LineElement, PointElement, Tooltip, Legend } from 'chart.js';
import { useOsTheme } from 'naive-ui';
import { computed, type ComputedRef } from 'vue';

Chart.register(BarElement, CategoryScale, LinearScale, LineElement, PointElement, Filler, Tooltip, Legend);

export interface ChartColours {
  text: string;
  muted: string;
  grid: string;
  primary: string;
  /** The part of a limit still free, under the used part. */
  track: string;
  danger: string;
  font: string;
}

function readColours(): ChartColours {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return { text: v('--c-text'), muted: v('--c-muted'), grid: v('--c-border'), primary: v('--c-primary'), track: v('--c-border-strong'), danger: v('--c-danger'), font: v('--font-sans') };
}

/** The chart colours of the scheme in force, read again when the system switches between light and dark. */
export function useChartColours(): ComputedRef<ChartColours> {
  const os = useOsTheme();
  return computed(() => {
    // The media query behind the variables flips with the OS theme; reading os.value ties this to that switch.
    void os.value;
    return readColours();
  });
}
