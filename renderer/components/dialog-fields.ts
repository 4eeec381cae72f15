// What an ActionDialog lends the fields in its form: its id (to find its error) and a register of fields shown in place.
import type { InjectionKey } from 'vue';

export interface DialogFields {
  id: string;
  claim(field: string): void;
  release(field: string): void;
}

export const DIALOG_FIELDS: InjectionKey<DialogFields> = Symbol('dialog-fields');
