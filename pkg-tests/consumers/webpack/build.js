// webpack 5, no setup for sse-sanitizer: `new URL(…, import.meta.url)` is an asset module.
import webpack from 'webpack';

const config = {
  mode: 'production',
  entry: { main: './main.js' },
  output: { path: new URL('./dist/', import.meta.url).pathname, filename: '[name].js' },
};
webpack(config, (err, stats) => {
  if (err || stats.hasErrors()) {
    console.error(err ?? stats.toString('errors-only'));
    process.exit(1);
  }
});
