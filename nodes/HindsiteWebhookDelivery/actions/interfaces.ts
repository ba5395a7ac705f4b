import type { IDataObject } from 'n8n-workflow';

/** What an operation made of one input item: output, an error for that item, or nothing because the run stopped. */
export type ItemResult = { json: IDataObject } | { error: Error } | { skipped: true };
