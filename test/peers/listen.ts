/** Moved to src/demo/ (the demo world runs the same server in the product); tests import it from here as before. */
export * from '../../src/demo/listen.js';
