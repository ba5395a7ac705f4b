export declare const N8N_VERSION: string;
export declare function n8nCacheRoot(): string;
export declare function n8nBinary(root?: string): string;
export declare function ensureN8n(options?: { log?: (line: string) => void }): string;
