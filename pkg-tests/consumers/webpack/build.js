// webpack 5, no setup for sse-sanitizer: `new URL(…, import.meta.url)` is an asset module.
import webpack from 'webpack';

const config = {
  mode: 'production',
  // The two pages' scripts: the whole package and sse-sanitizer/stream.
  entry: { main: './main.js', 'main-stream': './main-stream.js' },
  output: { path: new URL('./dist/', import.meta.url).pathname, filename: '[name].js' },
};
webpack(config, (err, stats) => {
  if (err || stats.hasErrors()) {
    console.error(err ?? stats.toString('errors-only'));
    process.exit(1);
  }
});
