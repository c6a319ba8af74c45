// npm run bench -- isolation: see bench/isolation/README.md
export { run } from './isolation/run.mjs';
