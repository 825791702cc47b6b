// Vite bundles a worklet and gives its URL for `?worker&url` imports.
declare module '*?worker&url' {
  const url: string;
  export default url;
}
