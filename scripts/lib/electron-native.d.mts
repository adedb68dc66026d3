// Types for electron-native.mjs, so the TypeScript tests can import it under strict mode.
export declare const NATIVE_DIR: string;
export declare const REBUILT_MODULES: string[];
export declare const BUILD_OUTPUTS: string[];
export declare const BUILD_INPUTS: string[];
export declare function readJson(path: string): any;
export declare function installedVersion(root: string, pkg: string): string;
export declare function sqliteBindingIn(dir: string): string;
export declare function newestMtime(paths: string[]): number;
export declare function isBuildStale(root: string, outputs?: string[], inputs?: string[]): boolean;
export declare function electronBinary(root: string): { installed: boolean; path: string | null };
export interface NativeStamp {
  electron: string;
  platform: string;
  arch: string;
  modules: Record<string, string>;
}
export declare function stampFor(root: string, electronVersion: string, platform?: string, arch?: string): NativeStamp;
export interface RebuildOptions {
  buildPath: string;
  projectRootPath: string;
  electronVersion: string;
  platform: string;
  arch: string;
  onlyModules: string[];
  force: boolean;
  mode: 'sequential' | 'parallel';
}
export declare function prepareElectronNative(options: {
  root: string;
  electronVersion: string;
  rebuild: (options: RebuildOptions) => Promise<unknown>;
  platform?: string;
  arch?: string;
  log?: (message: string) => void;
}): Promise<{ binding: string; rebuilt: boolean }>;
export declare function isForeignBuildTargetVar(name: string): boolean;
export declare function dropForeignBuildTarget(env?: Record<string, string | undefined>): string[];
