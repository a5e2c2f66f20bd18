#!/usr/bin/env node
// The installed command. A committed shim (not the compiled file itself) so
// it exists, executable, when npm links bins — before `prepare` has built dist/.
import '../dist/src/cli/main.js';
