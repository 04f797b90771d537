import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Relative asset paths: the built page is served from any folder.
export default defineConfig({ plugins: [react()], base: "./" });
