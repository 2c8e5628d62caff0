// Types for Nexxo's import.meta.env and asset imports.
interface ImportMetaEnv {
  readonly MODE: string;
  readonly DEV: boolean;
  readonly PROD: boolean;
  readonly BASE_URL: string;
  readonly NEXXO_APP_TITLE?: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}
declare module '*.png' {
  const url: string;
  export default url;
}
