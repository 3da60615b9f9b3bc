// The chinwag browser client. Plain ES modules, no build step, nothing fetched from
// elsewhere: this entry point starts the controller (app.js), which owns the rest.

import { App } from "./app.js";

const app = new App();
window.chinwag = app;
app.start();
