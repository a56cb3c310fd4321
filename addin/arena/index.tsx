import { mount } from "../shared/mount";
import { Arena } from "./Arena";

void mount(Arena);
