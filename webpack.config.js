// Builds the add-in (addin/) into dist/: taskpane.html, creator.html, arena.html, leaderboard.html,
// commands.html, the icons and the manifest. The Lumen server serves dist/ (https://localhost:3000 in development).
//
//   webpack --mode production    office.js from Microsoft's CDN, as Office requires (npm run build)
//   webpack --mode development   office.js from the server's /vendor/office-js copy (npm start)
import CopyWebpackPlugin from "copy-webpack-plugin";
import HtmlWebpackPlugin from "html-webpack-plugin";
import { resolve } from "node:path";

const OFFICE_JS = {
  production: "https://appsforoffice.microsoft.com/lib/1/hosted/office.js",
  development: "/vendor/office-js/office.js",
};

const pages = {
  taskpane: "addin/taskpane",
  creator: "addin/creator",
  arena: "addin/arena",
  leaderboard: "addin/leaderboard",
  commands: "addin/commands",
};

export default (_env, argv) => {
  const mode = argv.mode === "production" ? "production" : "development";
  const root = import.meta.dirname;
  return {
    mode,
    context: root,
    // No eval-based source maps: the server's Content-Security-Policy forbids eval.
    devtool: mode === "production" ? "source-map" : "cheap-module-source-map",
    entry: Object.fromEntries(
      Object.entries(pages).map(([name, dir]) => [
        name,
        `./${dir}/${name === "commands" ? "commands.ts" : "index.tsx"}`,
      ])
    ),
    output: {
      path: resolve(root, process.env.LUMEN_DIST_DIR ?? "dist"),
      filename: "[name].[contenthash:8].js",
      clean: true,
    },
    resolve: { extensions: [".tsx", ".ts", ".js"] },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          loader: "esbuild-loader",
          options: { target: "es2020", jsx: "automatic" },
        },
      ],
    },
    // Rebuilds after `npm ci` take seconds instead of a minute.
    cache: { type: "filesystem", buildDependencies: { config: [import.meta.filename] } },
    performance: { hints: false },
    optimization: { splitChunks: { chunks: "all", name: "vendor" } },
    plugins: [
      ...Object.entries(pages).map(
        ([name, dir]) =>
          new HtmlWebpackPlugin({
            filename: `${name}.html`,
            template: `./${dir}/${name}.html`,
            chunks: [name],
            templateParameters: { officeJs: OFFICE_JS[mode] },
          })
      ),
      new CopyWebpackPlugin({
        patterns: [
          // The icons the manifests' URLs name; the app package's own icons (icon-color-192,
          // icon-outline-32) travel inside lumen.zip, not from the server.
          {
            from: "assets/*.png",
            to: "assets/[name][ext]",
            globOptions: { ignore: ["**/icon-color-*", "**/icon-outline-*"] },
          },
          { from: "assets/logo.svg", to: "assets/logo.svg" },
          // The development manifest; `npm run build` replaces it with the production one.
          { from: "manifest.xml", to: "manifest.xml" },
        ],
      }),
    ],
  };
};
