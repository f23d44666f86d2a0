/**
 * The node argument that runs a service's TypeScript source in a child process, with the loader
 * tap runs the tests with (tsx; package.json's tap.node-arg).
 */
export const TYPESCRIPT_LOADER_ARG = `--import=${import.meta.resolve('tsx')}`;
